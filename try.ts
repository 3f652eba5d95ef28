import { startSandbox } from './local/kube-sandbox/sandbox';
(async () => {
  const s = await startSandbox({ port: 0 });
  await s.writeKubeconfig('/tmp/oa/kubeconfig');
  console.log(s.url);
  process.on('SIGTERM', async () => { await s.stop(); process.exit(0); });
})();
