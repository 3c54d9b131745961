import { Router } from 'express';
import { z } from 'zod';
import { listConnectors } from '../../src/connectors/registry';
import { resource } from '../http';

export function connectorsRouter(): Router {
  const router = Router();
  resource(router, '/connectors', {
    get: (_req, res) => {
      res.json({
        items: listConnectors().map((c) => ({
          type: c.type,
          description: c.description,
          capabilities: c.capabilities,
          endpointSchema: z.toJSONSchema(c.endpointSchema, { io: 'input', unrepresentable: 'any' }),
        })),
      });
    },
  });
  return router;
}
