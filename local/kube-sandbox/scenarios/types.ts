import type { Sandbox } from '../sandbox';
import type { KubeObject } from '../store';

/**
 * A named starting state of the sandbox. `objects` are created in order through the same
 * admission (defaults, validation) as API requests; controllers then take over, exactly as
 * if a user had applied them.
 */
export interface Scenario {
  name: string;
  /** One line for `eks-incident sandbox --help` and the docs. */
  description: string;
  /** kubectl commands worth trying on this scenario, printed by `eks-incident sandbox`. */
  examples?: string[];
  /** The objects to create. `now` is the sandbox clock's time (ms), for back-dated history. */
  objects(now: number): KubeObject[];
  /**
   * Runs after `objects` are created and before the API server listens: for history that
   * only controllers can write, such as a second Deployment revision (change the template
   * once the first ReplicaSet exists) or Jobs owned by a CronJob (they need its uid).
   * It must not wait for sandbox time to pass: a manual clock only moves when a test says so.
   */
  setup?(sandbox: Sandbox): Promise<void>;
}
