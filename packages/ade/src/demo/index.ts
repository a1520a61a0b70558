export { runDemo, DEMO_END_DATE, type DemoOptions, type DemoReport, type DemoAnswer, type DemoModel } from './run-demo.js';
export { generateDataset, DATASET_SCALES, type DatasetScale, type DatasetOptions, type DatasetFiles } from './dataset.js';
export { DEMO_QUESTIONS, DEMO_SOURCES_YAML } from './questions.js';
export { DEMO_MODELS, writeDemoModels, type DemoModelFile } from './demo-models.js';
