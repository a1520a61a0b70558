export { runDemo, DEMO_END_DATE, type DemoOptions, type DemoReport, type DemoAnswer, type DemoModel, type DemoQuality, type DemoDelivery, type DemoChanges } from './run-demo.js';
export { generateArrivals, generateDataset, DATASET_SCALES, type DatasetScale, type DatasetOptions, type DatasetFiles } from './dataset.js';
export { DEMO_QUESTIONS, DEMO_SOURCES_YAML } from './questions.js';
export { DEMO_MODELS, writeDemoModels, type DemoModelFile } from './demo-models.js';
export { DEMO_CHECKS_YAML } from './demo-checks.js';
export { DEMO_EXPERIMENTS, DEMO_EXPERIMENTS_YAML, type DemoExperiment } from './demo-experiments.js';
export { generateAccountChanges, shuffledBatches, type AccountChange, type AccountRow, type ChangeStream } from './change-stream.js';
export { runDemoMl, DEMO_ML_TIME_LIMIT_MS, type DemoMl, type DemoMlModel, type DemoMlOptions } from './demo-ml.js';
