export * from './calendar';
export * from './definition';
export * from './explain';
export * from './guards';
export * from './state-path';
export * from './text';
export * from './canonical-json';
export * from './validation';
