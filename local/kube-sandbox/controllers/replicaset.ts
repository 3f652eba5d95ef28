import type { Controller } from '../runtime';

export const replicaSetController: Controller = {
  name: 'replicaset',
  start: () => () => undefined,
};
