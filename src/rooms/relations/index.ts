// Relations and threads: the indexer that follows persisted events, the /relations and /threads reads, and
// the server-side aggregations (unsigned.m.relations) other serialisers can bundle.
export { createRelationsIndexer, createSearchIndexer, type EventIndexer } from './indexer.js';
export { createRelationsService, type RelationsService, type RelationsServiceDeps, type RelationsParams, type RelationsResponse, type ThreadsParams } from './service.js';
export { aggregateRelations, isValidReplacement } from './aggregations.js';
