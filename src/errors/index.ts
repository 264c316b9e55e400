export { MatrixError, isMatrixError } from './matrix-error.js';
export * from './codes.js';
