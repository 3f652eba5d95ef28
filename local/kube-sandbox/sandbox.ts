import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { stringify as toYaml } from 'yaml';
import { admit } from './admission';
import { AccessControl, type TokenIdentity } from './authorization/access-control';
import { anonymousImpersonation, bootstrapPolicy } from './authorization/bootstrap-policy';
import { SandboxClock, type ClockOptions } from './clock';
import { CONTROLLERS } from './controllers';
import { KUBELET_ANNOTATION } from './controllers/node-lifecycle';
import { FaultInjector } from './faults';
import { RequestLog } from './request-log';
import { resourceTypeForKind } from './resources';
import { EventRecorder, LogStore, WorkQueue, types, type ControllerContext } from './runtime';
import { baseCluster } from './scenarios/base';
import { SCENARIOS } from './scenarios';
import type { Scenario } from './scenarios/types';
import { createApiHandler } from './server';
import { ObjectStore, resolveGeneratedName, type KubeObject } from './store';

export interface SandboxOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** The clock, or options to make one. @default real time (timeScale 1) */
  clock?: SandboxClock | ClockOptions;
  /** A scenario name from SCENARIOS, or a Scenario. @default 'empty' */
  scenario?: string | Scenario;
  /**
   * When set, every request needs `Authorization: Bearer <token>` (401 otherwise); the token
   * authenticates `kubernetes-admin` in the `system:masters` group.
   */
  token?: string;
  /** Further bearer tokens and the user and groups each authenticates, e.g. `{ tok: { user: 'alice', groups: ['dev'] } }`. */
  tokens?: Record<string, TokenIdentity>;
  /**
   * `rbac`: authorize every request from the stored Roles, ClusterRoles and bindings, as the
   * RBAC authorizer does (403 otherwise). @default everything is allowed
   */
  authorization?: 'rbac';
  /** Run the controllers and the simulated kubelet. @default true */
  controllers?: boolean;
  /** Extra objects to create after the scenario's. */
  objects?: KubeObject[];
}

export interface KubeconfigOptions {
  /** @default 'eks-incident-sandbox' */
  contextName?: string;
  /** Namespace of the context. */
  namespace?: string;
}

/** A running sandbox: a Kubernetes API server with its controllers, on loopback. */
export class Sandbox {
  readonly faults = new FaultInjector();
  readonly requests = new RequestLog();
  readonly logs = new LogStore();
  readonly store: ObjectStore;
  readonly events: EventRecorder;
  private readonly queues: WorkQueue[] = [];
  private readonly stops: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  /** Errors thrown by controllers; a healthy sandbox keeps this empty. */
  readonly controllerErrors: Array<{ controller: string; key: string; error: unknown }> = [];

  constructor(
    readonly clock: SandboxClock,
    private readonly options: SandboxOptions,
  ) {
    this.store = new ObjectStore(clock);
    this.events = new EventRecorder(this.store, clock);
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('the sandbox is not listening');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}`;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** The context controllers run with; also handy for tests that act as a controller. */
  get context(): ControllerContext {
    return {
      store: this.store,
      clock: this.clock,
      events: this.events,
      logs: this.logs,
      queue: (name, handler) => {
        const q = new WorkQueue(name, handler, (controller, key, error) =>
          this.controllerErrors.push({ controller, key, error }),
        );
        this.queues.push(q);
        return q;
      },
    };
  }

  /**
   * Creates objects as an API client would (defaults and validation applied).
   * Objects need apiVersion and kind.
   */
  apply(objects: KubeObject[]): KubeObject[] {
    return objects.map((input) => {
      const t = resourceTypeForKind(input.apiVersion ?? '', input.kind ?? '');
      if (!t) throw new Error(`the sandbox does not serve ${input.apiVersion} ${input.kind}`);
      const obj = structuredClone(input);
      if (t.namespaced) obj.metadata.namespace = obj.metadata.namespace ?? 'default';
      resolveGeneratedName(obj);
      admit(t, obj);
      return this.store.create(t, obj);
    });
  }

  /** Resolves once every controller queue is empty: the cluster has reacted to what happened. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      if (this.queues.every((q) => q.idle)) {
        // One more turn of the event loop: a queue may be about to get work from another's.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.queues.every((q) => q.idle)) return;
      }
      await Promise.all(this.queues.map((q) => q.whenIdle()));
    }
    throw new Error('the sandbox did not settle: controllers keep requeueing work');
  }

  /** A kubeconfig (YAML) that kubectl and @kubernetes/client-node accept. */
  kubeconfig(options: KubeconfigOptions = {}): string {
    const name = options.contextName ?? 'eks-incident-sandbox';
    return toYaml({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses plain http unless TLS verification is declared off.
      clusters: [{ name, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name, user: this.options.token ? { token: this.options.token } : {} }],
      contexts: [
        {
          name,
          context: {
            cluster: name,
            user: name,
            ...(options.namespace ? { namespace: options.namespace } : {}),
          },
        },
      ],
      'current-context': name,
      preferences: {},
    });
  }

  async writeKubeconfig(file: string, options: KubeconfigOptions = {}): Promise<void> {
    await writeFile(file, this.kubeconfig(options), { mode: 0o600 });
  }

  async listen(): Promise<void> {
    const handler = createApiHandler({
      store: this.store,
      clock: this.clock,
      logs: this.logs,
      faults: this.faults,
      requests: this.requests,
      token: this.options.token,
      access: new AccessControl(this.store, {
        token: this.options.token,
        tokens: this.options.tokens,
        authorization: this.options.authorization,
      }),
    });
    const server = createServer(handler);
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Stops a node's kubelet: its Lease is no longer renewed, its pods' status no longer
   * reported. After the grace period the node turns Unknown, is tainted unreachable, and its
   * pods are evicted once their tolerations run out (the node annotation KUBELET_ANNOTATION).
   */
  stopKubelet(nodeName: string): void {
    this.setKubeletAnnotation(nodeName, 'stopped');
  }

  /** Starts a stopped kubelet again: the node reports Ready and its taints go. */
  startKubelet(nodeName: string): void {
    this.setKubeletAnnotation(nodeName, undefined);
  }

  private setKubeletAnnotation(nodeName: string, value: string | undefined): void {
    const node = structuredClone(this.store.mustGet(types.nodes, undefined, nodeName));
    const annotations = { ...node.metadata.annotations };
    if (value === undefined) delete annotations[KUBELET_ANNOTATION];
    else annotations[KUBELET_ANNOTATION] = value;
    node.metadata.annotations = annotations;
    this.store.update(types.nodes, node);
  }

  startControllers(): void {
    for (const controller of CONTROLLERS) this.stops.push(controller.start(this.context));
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    this.clock.dispose();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Starts a sandbox: base cluster, scenario, controllers, HTTP server. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock instanceof SandboxClock ? options.clock : new SandboxClock(options.clock);
  const scenario = typeof options.scenario === 'string' ? SCENARIOS[options.scenario] : options.scenario;
  if (options.scenario !== undefined && !scenario) {
    throw new Error(
      `unknown scenario "${String(options.scenario)}"; known scenarios: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  }
  const sandbox = new Sandbox(clock, options);
  if (options.controllers !== false) sandbox.startControllers();
  sandbox.apply([...baseCluster(), ...bootstrapPolicy()]);
  if (options.authorization === 'rbac') sandbox.apply(anonymousImpersonation());
  if (scenario) sandbox.apply(scenario.objects(clock.now()));
  await scenario?.setup?.(sandbox);
  if (options.objects) sandbox.apply(options.objects);
  await sandbox.listen();
  return sandbox;
}
