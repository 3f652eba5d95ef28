import type { Controller } from '../runtime';

export const kubeletController: Controller = {
  name: 'kubelet',
  start: () => () => undefined,
};
