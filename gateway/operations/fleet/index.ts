export { readAgencyConfig, connectAgency } from './agency-client.ts';
export { collectFleet } from './collect.ts';
export { addFleetMessage, FLEET_FILTERS, type GatewayMessages } from './fleet-messages.ts';
export { fleetView, fleetSummary, type FleetRow, type FleetSummary } from './fleet-view.ts';
export { checkHeadArchive, readAuditKey, readHeadArchives, type AuditKey } from './head-archive.ts';
export { renderFleetText } from './render-status.ts';
export { archiveHandler, archiveMessage, subscribeArchive, ArchivedEvent } from './archive.ts';
export { collectFleetReport, type FleetReport } from './fleet-report.ts';
export { renderFleetHtml, renderFleetMarkdown } from './render-fleet-report.ts';
