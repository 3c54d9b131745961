import Ajv2020 from 'ajv/dist/2020';
import { buildOpenApiDocument } from '../../api/openapi';

const doc = buildOpenApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'openapi.json', components: doc.components } as object);

/** A response body matches its component of the generated OpenAPI document, so the documented shapes are the real ones. */
export function expectConforms(component: string, body: unknown): void {
  const v = ajv.getSchema(`openapi.json#/components/schemas/${component}`);
  if (!v) throw new Error(`the OpenAPI document has no component ${component}`);
  const ok = v(body);
  expect({ component, errors: ok ? null : v.errors }).toEqual({ component, errors: null });
}
