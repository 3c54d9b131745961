/**
 * Every connector, one line each: adding a store = its folder + one line here. Descriptors import no
 * driver (each session loads its own lazily), so this list is cheap to load in the API and CLI.
 */
export { cassandra } from './cassandra';
export { dynamodb } from './dynamodb';
export { file } from './file';
export { firestore } from './firestore';
export { memory } from './memory';
export { mongodb } from './mongodb';
export { mysql } from './mysql';
export { postgres } from './postgres';
export { rtdb } from './rtdb';
export { sqlite } from './sqlite';
