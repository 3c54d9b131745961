import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Loaded by path (DataConverter.failureConverterPath) inside the workflow sandbox and by the worker for
 * activity failures: messages and stack traces move into an encoded payload, which the codec then encrypts.
 * Used only when payload encryption is on, so histories written without it replay unchanged.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
