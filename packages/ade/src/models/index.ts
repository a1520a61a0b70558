export { MODEL_KINDS, MODEL_ZONES, ModelError, parseSqlModel, type ModelKind, type SqlModel } from './model-file.js';
export { ModelGraph } from './model-graph.js';
export { loadModels } from './load-models.js';
export { projectGraph, projectTimeColumns, selectModels } from './project-graph.js';
export { surrogateKey, surrogateKeySql } from './surrogate-key.js';
export { BUILDABLE_KINDS, closeAbandonedRuns, currentStateSql, planModels, runModels, surrogateColumn, type BuildOptions, type ModelPlan, type ModelResult } from './build-models.js';
export { factWork, dayWork, type FactWork, type DayWork } from './model-work.js';
export { loadTsModel, type ModelContext, type ModelDefinition, type ModelOutput, type ModelRow } from './ts-model.js';
