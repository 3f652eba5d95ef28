import type { KubeObject } from '../store';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** An EKS managed node as the API returns it (Ready, with the labels EKS sets). */
export function eksNode(index: number): KubeObject {
  const ip = `10.0.${index + 1}.${20 + index * 7}`;
  const name = `ip-${ip.replaceAll('.', '-')}.eu-west-1.compute.internal`;
  const zone = ZONES[index % ZONES.length];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6i.xlarge',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': zone,
        'eks.amazonaws.com/nodegroup': 'general',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
      },
    },
    spec: { providerID: `aws:///${zone}/i-0${(0xabc123 + index).toString(16)}def0` },
    status: {
      capacity: { cpu: '4', memory: '16073700Ki', pods: '58', 'ephemeral-storage': '83873772Ki' },
      allocatable: { cpu: '3920m', memory: '15056868Ki', pods: '58', 'ephemeral-storage': '76224326324' },
      conditions: [
        ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
        ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
        ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
        ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
      ].map(([type, status, reason, message]) => ({ type, status, reason, message })),
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
        { type: 'InternalDNS', address: name },
      ],
      nodeInfo: {
        architecture: 'amd64',
        bootID: `boot-${index}`,
        containerRuntimeVersion: 'containerd://1.7.27',
        kernelVersion: '6.1.134-150.224.amzn2023.x86_64',
        kubeProxyVersion: 'v1.32.3-eks-473151a',
        kubeletVersion: 'v1.32.3-eks-473151a',
        machineID: `machine-${index}`,
        operatingSystem: 'linux',
        osImage: 'Amazon Linux 2023.7.20250428',
        systemUUID: `ec2-${index}`,
      },
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

/**
 * The EBS StorageClasses of an EKS cluster with the EBS CSI add-on: `gp2` (in-tree name, no
 * longer the default since EKS 1.30) and the add-on's `gp3`, the default, both binding when
 * the first pod is scheduled.
 */
export function storageClasses(): KubeObject[] {
  const storageClass = (
    name: string,
    provisioner: string,
    parameters: Record<string, string>,
    isDefault: boolean,
  ) => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    provisioner,
    parameters,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    ...(isDefault ? { allowVolumeExpansion: true } : {}),
  });
  return [
    storageClass('gp2', 'kubernetes.io/aws-ebs', { fsType: 'ext4', type: 'gp2' }, false),
    storageClass('gp3', 'ebs.csi.aws.com', { encrypted: 'true', type: 'gp3' }, true),
  ];
}

/** What every scenario starts from: a three-node EKS cluster with the system namespaces. */
export function baseCluster(nodeCount = 3): KubeObject[] {
  return [
    ...['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((n) => namespace(n)),
    ...Array.from({ length: nodeCount }, (_, i) => eksNode(i)),
    ...storageClasses(),
  ];
}
