import { WAREHOUSE_DIALECTS } from '../../workspaces/warehouse-dialects.js';
import { builder } from '../builder.js';
import { upperCaseEnum } from '../enum-values.js';

export const WarehouseDialectEnum = builder.enumType('WarehouseDialect', {
  description: 'A warehouse and its SQL dialect: where a workspace loads its data, and what a mapping is compiled to.',
  values: upperCaseEnum(WAREHOUSE_DIALECTS, {
    postgresql: 'PostgreSQL (loaded and executed by this deployment).',
    snowflake: 'Snowflake.',
    bigquery: 'Google BigQuery (GoogleSQL).',
    databricks: 'Databricks SQL (Spark SQL).',
  }),
});
