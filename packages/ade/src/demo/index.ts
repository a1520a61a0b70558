export { runDemo, DEMO_END_DATE, type DemoOptions, type DemoReport, type DemoAnswer } from './run-demo.js';
export { generateDataset, DATASET_SCALES, type DatasetScale, type DatasetOptions, type DatasetFiles } from './dataset.js';
export { DEMO_QUESTIONS, CLEAN_DERIVATIONS, DEMO_SOURCES_YAML } from './questions.js';
