import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteOptions } from './index.js';

// Placeholder until this resource's routes land.
const plugin: FastifyPluginAsyncTypebox<RouteOptions> = async () => {};
export default plugin;
