export { EXACT_DISTINCT_ROWS, profileTable, TOP_VALUES, type ColumnProfile, type TableProfile } from './profile-table.js';
