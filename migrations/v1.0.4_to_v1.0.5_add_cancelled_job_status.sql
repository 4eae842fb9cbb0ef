-- cancelPipelineJob ends a pending or running job as `cancelled`: extending
-- the closed set of job statuses is one row in its lookup table.

-- target: platform
INSERT INTO datalinx_platform.job_statuses (value) VALUES ('cancelled');
