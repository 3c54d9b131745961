import { DefaultFailureConverter, defaultPayloadConverter, type DataConverter, type LoadedDataConverter } from '@temporalio/common';
import { loadConfig, type Config } from '../src/config';
import { AesGcmCodec } from './codec';
import { loadCodecKeys } from './codec-keys';

/**
 * The data converter of the client (API, CLI) and of the worker when payload encryption is configured
 * (DATAMIGRATO_CODEC_KEYS); undefined otherwise, so Temporal's defaults apply and nothing changes.
 * Codecs run outside the workflow sandbox: workflows see plain values either way.
 */
export function codecFromConfig(c: Config = loadConfig()): AesGcmCodec | undefined {
  return c.DATAMIGRATO_CODEC_KEYS ? new AesGcmCodec(loadCodecKeys(c.DATAMIGRATO_CODEC_KEYS, c.DATAMIGRATO_CODEC_ACTIVE_KEY)) : undefined;
}

export function clientDataConverter(c: Config = loadConfig()): LoadedDataConverter | undefined {
  const codec = codecFromConfig(c);
  const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
  return codec && { payloadConverter: defaultPayloadConverter, failureConverter, payloadCodecs: [codec] };
}

/** The worker loads the failure converter by path: the workflow bundle needs it as a module. */
export function workerDataConverter(c: Config = loadConfig()): DataConverter | undefined {
  const codec = codecFromConfig(c);
  return codec && { payloadCodecs: [codec], failureConverterPath: require.resolve('./failure-converter') };
}
