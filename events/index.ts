/** The event contract: types, schemas, errors and the CloudEvents bindings. Every function imports from here. */
export * from './types';
export * from './limits';
export * from './errors';
export * from './schemas';
export * from './cloudevent';
export * from './kafka';
export * from './http';
export * from './codec';
export * from './vocabulary';
export * from './raw-check';
