/** ade's library API: open a lake, query it, load into it. */
export * from './kernel/index.js';
export * from './lake/index.js';
export { openCatalog, type CatalogStore, type CatalogConfig } from './catalog/index.js';
export { openObjectStore, type ObjectStore, type ObjectStoreConfig } from './storage/index.js';
export { Engine, type EngineConfig, type Session } from './engine/index.js';
export type { ModelContext, ModelDefinition, ModelOutput, ModelRow } from './models/index.js';
