/**
 * Outbound connections to customers' sources and warehouses. Import from here:
 * the address policy, connectPostgres, the step-by-step connection test,
 * discovery (introspectPostgres) and the per-organization attempt limiter.
 */
export { addressPolicy, checkAddress, resolveAllowedAddress, type AddressPolicy, type AddressPolicyMode, type ResolvedAddress } from './address-policy.js';
export { CHECK_NAMES, testPostgresConnection, type CheckName, type CheckStatus, type ConnectionCheck, type ConnectionTestReport, type TestOptions } from './connection-test.js';
export { connectorSettings, type ConnectorConfig, type ConnectorSettings } from './connector-settings.js';
export { SOURCE_TABLE_KINDS, type DiscoveredColumn, type DiscoveredSchema, type DiscoveredTable, type SourceTableKind } from './discovered-schema.js';
export { testApiReachability, testFileSource, testSnowflakeReachability } from './other-sources.js';
export { countReadableRelations, introspectPostgres } from './postgres-catalog.dao.js';
export { closeQuietly, connectPostgres, SSL_MODES, type ConnectOptions, type ConnectProgress, type PostgresSettings, type SslMode } from './postgres.js';
export { AttemptLimiter, takeConnectionAttempt } from './rate-limit.js';
export { beginReadOnly, cancelBackend, describeSelect, readBatches, readOnlyRows, type BatchRead, type ResultColumn } from './source-query.dao.js';
export { scrub } from './scrub.js';
export { previewRows, type PreviewColumn, type PreviewRows } from './source-preview.dao.js';
