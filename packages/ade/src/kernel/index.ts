export * from './errors.js';
export * from './ids.js';
export * from './clock.js';
export * from './sql.js';
export * from './names.js';
export * from './zones.js';
export * from './roles.js';
export * from './async-mutex.js';
