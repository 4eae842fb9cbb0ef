import { addressPolicy, type AddressPolicy, type AddressPolicyMode } from './address-policy.js';
import { AttemptLimiter } from './rate-limit.js';

/** The long-lived settings of outbound connections; built once per process (src/services.ts). */
export interface ConnectorSettings {
  policy: AddressPolicy;
  /** Bound on DNS resolution and on opening a connection (SOURCE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** Bound on a whole connection test (SOURCE_TEST_TIMEOUT_MS). */
  testTimeoutMs: number;
  /** statement_timeout of discovery and other reads on a source (SOURCE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /** statement_timeout of a mapping preview (SOURCE_PREVIEW_TIMEOUT_MS). */
  previewTimeoutMs: number;
  /** Connection attempts (tests, refreshes) per organization (SOURCE_CONNECT_RATE_LIMIT per minute). */
  limiter: AttemptLimiter;
}

export interface ConnectorConfig {
  addressPolicy: AddressPolicyMode;
  allowedCidrs: readonly string[];
  connectTimeoutMs: number;
  testTimeoutMs: number;
  statementTimeoutMs: number;
  previewTimeoutMs: number;
  attemptsPerMinute: number;
}

export function connectorSettings(config: ConnectorConfig): ConnectorSettings {
  return {
    policy: addressPolicy(config.addressPolicy, config.allowedCidrs),
    connectTimeoutMs: config.connectTimeoutMs,
    testTimeoutMs: config.testTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    previewTimeoutMs: config.previewTimeoutMs,
    limiter: new AttemptLimiter(config.attemptsPerMinute, 60_000),
  };
}
