import type { Controller } from '../runtime';

export const deploymentController: Controller = {
  name: 'deployment',
  start: () => () => undefined,
};
