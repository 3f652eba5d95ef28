/**
 * Failure classes of log lines, recognised in the wordings the runtimes and clients of the
 * runbooks' stacks print (Python, Java, Go, Node.js, Rust, nginx, MySQL, PostgreSQL,
 * Redis-compatible stores, Milvus, MinIO, etcd, Kafka, CUDA/PyTorch/vLLM, the glibc and musl
 * resolvers). The test corpus (test/fixtures/diagnosis/classifier-corpus.json) holds real
 * messages of those projects, each with its source.
 *
 * A class says what KIND of failure a line reports, independent of who printed it; the rules
 * (lambdas/shared/rules/) match classes, so a wording nobody listed still lands in its class as
 * long as it uses the vocabulary of the failure (refused, resolve, timed out, denied...).
 */

export const ERROR_CLASSES = [
  'connection-refused',
  'network-unreachable',
  'dns-resolution',
  'timeout',
  'connection-reset',
  'connection-limit',
  'auth-failure',
  'tls-error',
  'missing-config',
  'invalid-config',
  'missing-file',
  'missing-executable',
  'missing-module',
  'permission-denied',
  'read-only-fs',
  'out-of-memory',
  'disk-full',
  'port-in-use',
  'schema-migration',
  'missing-object',
  'data-corruption',
  'gpu-oom',
  'gpu-unavailable',
  'dependency-not-ready',
  'rate-limit',
  'cors',
  'crash',
  'startup-failed',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/**
 * How much a class explains: a root cause (3) outranks a crash that only says the process died
 * (2), which outranks the generic "startup failed" that follows either (1).
 */
export function classRank(cls: ErrorClass): number {
  if (cls === 'startup-failed') return 1;
  if (cls === 'crash') return 2;
  return 3;
}

export const TECHNOLOGIES = [
  'mysql',
  'postgres',
  'redis',
  'milvus',
  'minio',
  'etcd',
  'kafka',
  'cuda',
  'http',
] as const;
export type Technology = (typeof TECHNOLOGIES)[number];

/** A host (and port) a line names: the dependency it failed to reach. */
export interface HostReference {
  host: string;
  port?: number;
}

export interface Classification {
  class: ErrorClass;
  rank: number;
  /** What the line is about, when it says (the client library, the port or the host name). */
  technology?: Technology;
  /**
   * `wording`: the line says it (a client library, an error code, the server's own name);
   * `address`: only a host name or a default port suggests it, which a Redis-compatible store on
   * 6379 or a Service named after its chart shares. The cluster can contradict an address.
   */
  technologyFrom?: 'wording' | 'address';
  hosts: HostReference[];
}

interface ClassPattern {
  class: ErrorClass;
  pattern: RegExp;
}

/*
 * Order matters: the first pattern that matches decides, so specific wordings come before the
 * generic ones that would also match them ("CUDA out of memory" is a GPU, not a heap, failure;
 * "Can't connect to MySQL server on 'db' (110)" timed out rather than being refused).
 */
const PATTERNS: ClassPattern[] = [
  // GPU first: their messages also say "out of memory", "RuntimeError", "not available".
  {
    class: 'gpu-oom',
    pattern:
      /CUDA out of memory|Free memory on device [^\n]* less than desired GPU memory utilization|OutOfMemoryError: CUDA|CUDA error: out of memory|cudaErrorMemoryAllocation|out of GPU memory|CUBLAS_STATUS_ALLOC_FAILED|No available memory for the cache blocks|(?:larger than|exceeds) the maximum number of tokens that can be stored in KV cache|Insufficient (?:GPU|KV cache) memory|not enough (?:GPU|KV cache) memory|GPU memory utilization .* (?:too (?:low|high)|insufficient)/i,
  },
  {
    class: 'gpu-unavailable',
    pattern:
      /no CUDA-capable device|Torch not compiled with CUDA enabled|CUDA driver version is insufficient|Found no NVIDIA driver|NVIDIA driver on your system|CUDA (?:is )?not available|No CUDA GPUs are available|torch\.cuda\.is_available\(\) (?:is|returned) False|nvidia-container-cli|libcuda\.so[.\d]*[^\n]*(?:cannot open|not found)|CUDA initialization|cudaErrorNoDevice|CUDA_ERROR_NO_DEVICE|Failed to infer device type|NVML: ?Driver Not Loaded|Failed to initialize NVML|could not select device driver "nvidia"|forward compatibility was attempted on non supported HW|unknown device type cuda/i,
  },
  // Before the network classes: `corrupted binlog file: unexpected EOF` is about the data, not a reset.
  {
    class: 'data-corruption',
    pattern:
      /Corrupted data|data (?:file )?corrupt|\bcorrupt(?:ed|ion)?\b|checksum mismatch|CRC mismatch|crc32 mismatch|Database page corruption|bad magic number|Segment load failed|failed to load segment|invalid page header|Bad file descriptor on read|wal: (?:crc mismatch|file not found)|Bad file format reading the append only file|Short read or OOM loading DB|invalid page in block|Unrecoverable error: corrupted|\bCorrupt(?:ed)?[A-Z]\w*|malformed (?:database|page|record|block|file|segment)|database disk image is malformed|Wrong signature|bad signature|invalid (?:magic|checksum)|failed to get all reachable pages|page \d+ already freed|truncated (?:file|record|segment|block)/i,
  },
  {
    class: 'connection-limit',
    pattern:
      /Too many connections|ER_CON_COUNT_ERROR|too many clients already|remaining connection slots are reserved|max number of clients reached|maxclients|connection pool (?:exhausted|timeout)|QueuePool limit of size \d+ overflow|Timeout waiting for connection from pool|too many open files|EMFILE|Connection is not available, request timed out/i,
  },
  // Timeouts worded as "can't connect" with errno 110 (ETIMEDOUT) or "timed out".
  {
    class: 'timeout',
    pattern:
      /Can't connect to (?:MySQL|MariaDB) server on [^\n]*\((?:110|timed out)\)|Connection timed out|Connect(?:ion)? ?timeout|connect ETIMEDOUT|ETIMEDOUT|i\/o timeout|context deadline exceeded|DEADLINE_EXCEEDED|deadline exceeded|SocketTimeoutException|ConnectTimeout|ReadTimeout|upstream timed out|timed out while waiting|Operation timed out|timeout expired|TimeoutError|TimeoutException|request timed out|Lost connection to MySQL server during query|Fail connecting to server on \S+\. Timeout|timeout occurred after waiting|Timeout connecting to|timed out after \d+|Read timed out|connect timed out|timed out (?:while )?waiting|\btimeout (?:after|while|waiting|exceeded|reached|of \d+)|Timeout after \d+/i,
  },
  {
    class: 'port-in-use',
    pattern:
      /address already in use|EADDRINUSE|Address in use|port \d+ (?:is |was )?already in use|bind\(\) to [^\n]* failed \(98|Only one usage of each socket address|Could not create server TCP listening socket|Failed to bind to|BindException/i,
  },
  {
    class: 'tls-error',
    pattern:
      /x509: |certificate verify failed|CERTIFICATE_VERIFY_FAILED|SSLHandshakeException|PKIX path building failed|unable to verify the first certificate|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME_INVALID|certificate has expired|CERT_HAS_EXPIRED|tls: (?:handshake failure|bad certificate|failed to verify|first record does not look)|remote error: tls|SSL routines|ssl\.SSLError|SSL: WRONG_VERSION_NUMBER|invalid peer certificate|InvalidCertificate|SSL handshake failed|SSL_do_handshake\(\) failed|certificate is not valid for/i,
  },
  {
    class: 'auth-failure',
    pattern:
      /Access denied for user|password authentication failed|authentication failed|Authentication failure|WRONGPASS|NOAUTH|-NOAUTH|invalid username-password pair|invalid password|AuthenticationException|AuthenticationError|\bUnauthorized\b|\b401 Unauthorized|Error code: 401|status(?: code)?:? 401|InvalidAccessKeyId|SignatureDoesNotMatch|request signature we calculated does not match|hasn't authenticated|not authenticated|Signature has expired|ExpiredSignature|The Access Key Id you provided does not exist|AccessDenied(?!(?:Exception)?:? ['"]?\/)|Access Denied(?!:? ['"]?\/)|permission denied for (?:table|relation|schema|database|sequence)|no pg_hba\.conf entry|SASL authentication|Invalid credentials|invalid_grant|invalid api key|Incorrect API key|token (?:is )?expired|invalid (?:auth )?token|user not found|ER_ACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR|not authorized|auth(?:entication)? (?:is )?required|(?:is )?forbidden: User|unauthorized_client|invalid_client|invalid_token|\[invalid_token_response\]|Invalid client credentials|Client authentication failed|client authentication (?:failed|was attempted)|\bUNAUTHENTICATED\b|Unauthenticated|status(?:Code)?"?[:=] ?401\b|\bHTTP(?:\/[\d.]+)? 401\b|Response 401|returned 401|responded with 401|got 401|invalid[_ ]client[_ ](?:secret|credentials?|id)|invalid (?:secret|credentials?)|bad credentials|incorrect (?:password|credentials|username or password)|wrong (?:password|credentials)/i,
  },
  {
    class: 'dns-resolution',
    pattern:
      /Temporary failure in name resolution|Name or service not known|nodename nor servname provided|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|getaddrinfo failed|\bENOTFOUND\b|\bEAI_AGAIN\b|no such host|Name does not resolve|\[Errno -[235]\]|Unknown (?:MySQL|MariaDB) server host|could not translate host name|UnknownHostException|failed to lookup address information|server misbehaving|Could not resolve host|DNS resolution failed|\bNXDOMAIN\b|host not found in upstream|Name resolution failure|dns error|No address associated with hostname|could not resolve host|Could not resolve hostname|cannot resolve host|can't resolve|Unable to resolve host|Failed to resolve '|resolve host|bad address '|No such host is known|nslookup: can't resolve|server can't find [\w.-]+: NXDOMAIN|getaddrinfo for host/i,
  },
  {
    class: 'network-unreachable',
    pattern:
      /No route to host|EHOSTUNREACH|Network is unreachable|ENETUNREACH|Host is unreachable|Host unreachable/i,
  },
  {
    class: 'connection-refused',
    pattern:
      /Connection refused|ECONNREFUSED|actively refused|Can't connect to (?:MySQL|MariaDB) server|Could not connect to|EndpointConnectionError|Error \d+ connecting to|ConnectException|CommunicationsException|Communications link failure|Fail(?:ed)? connecting to server|Failed to connect|failed to connect|could not connect to server|Is the server running|Connection to [^\n]* refused|server unavailable|no reachable servers|All connection attempts failed|connect\(\) failed \(111|Failed to establish a new connection|Unable to connect|Cannot connect to|can't connect to|cannot connect to|Connection closed by server|error connecting to|Connect error|connection error|NoBrokersAvailable|Connection to node -?\d+ [^\n]* could not be established|Broker may not be available|UNAVAILABLE: |CONNECTION_REFUSED/i,
  },
  {
    class: 'connection-reset',
    pattern:
      /Connection reset by peer|ECONNRESET|broken pipe|EPIPE|MySQL server has gone away|Lost connection to (?:MySQL )?server|server closed the connection unexpectedly|unexpected EOF|Connection closed unexpectedly|connection reset|socket hang up|ECONNABORTED|Connection aborted|connection was forcibly closed|server closed the connection/i,
  },
  {
    class: 'disk-full',
    pattern:
      /No space left on device|ENOSPC|ERROR 1114|The table '?[^ ]*'? is full|\(1114,|disk (?:is )?full|Disk quota exceeded|EDQUOT|XMinioStorageFull|Storage reached its minimum free (?:drive|disk) threshold|minimum free drive threshold|database or disk is full|MISCONF Redis is configured to save RDB snapshots|could not extend file|database space exceeded|NOSPACE|out of disk space|insufficient disk space|not enough space|Operating system error number 28|errno 28\b/i,
  },
  {
    class: 'rate-limit',
    pattern:
      /rate limit|RateLimitError|Too Many Requests|\b429\b|throttl|SlowDown|TooManyRequests|quota exceeded|Quota exceeded|ThrottlingException|RESOURCE_EXHAUSTED/i,
  },
  { class: 'read-only-fs', pattern: /Read-only file system|\bEROFS\b/i },
  {
    class: 'out-of-memory',
    pattern:
      /JavaScript heap out of memory|Allocation failed - process out of memory|java\.lang\.OutOfMemoryError|OutOfMemoryError|\bMemoryError\b|Cannot allocate memory|ENOMEM|runtime: out of memory|fatal error: out of memory|memory allocation of \d+ bytes failed|OOM command not allowed|used memory > 'maxmemory'|std::bad_alloc|out of memory|Out of memory|OOMKilled|oom-kill|Killed process \d+|GC overhead limit exceeded|Java heap space/i,
  },
  {
    class: 'permission-denied',
    pattern:
      /Permission denied|EACCES|Operation not permitted|\bEPERM\b|AccessDeniedException|permission denied|insufficient permissions|Access ?Denied(?:Exception)?:? ['"]?\//i,
  },
  {
    class: 'schema-migration',
    pattern:
      /Table '[^']+' doesn't exist|Table doesn't exist|\(1146,|ER_NO_SUCH_TABLE|relation "[^"]+" does not exist|no such table|Unknown column|column "?[^\n"]*"? (?:of relation "[^"]+" )?does not exist|Unknown database|ER_BAD_DB_ERROR|\(1049,|database "[^"]+" does not exist|Can't locate revision|alembic\.util\.exc|Target database is not up to date|migrations? (?:are )?pending|pending migrations?|migration [^\n]*failed|FlywayException|Validate failed: Migrations|liquibase[^\n]*(?:failed|exception)|schema (?:version )?mismatch|Dirty database version|ProgrammingError/i,
  },
  {
    class: 'missing-object',
    pattern:
      /collection [^\n]*(?:not found|does not exist|not exist|doesn't exist)|Collection not found|can't find collection|collection not loaded|The specified bucket does not exist|NoSuchBucket|NoSuchKey|The specified key does not exist|index not found|index_not_found|UNKNOWN_TOPIC_OR_PARTITION|UnknownTopicOrPartition|does not host this topic-partition|Bucket [`'"]?[\w.-]+[`'"]? does not exist|Unknown topic or partition|topic [^\n]*does not exist|Model not found|model [^\n]*(?:not found|does not exist)|Repository Not Found|Repo id must be in the form|HFValidationError|No supported config format found|is not a local folder and is not a valid model identifier|Can't load (?:tokenizer|config|the model)|Incorrect path_or_model_id|(?:safetensors|\.bin|config\.json|tokenizer)[^\n]*(?:not found|does not exist|No such file)|does not appear to have a file named|Entry Not Found|EntryNotFoundError|LocalEntryNotFoundError|Cannot find the requested files in the (?:disk )?cache|model_path [^\n]*does not exist|Invalid repository ID or local directory|no file named [^\n]*found in (?:directory|the repo)|(?:weights?|checkpoint|model file)s? [^\n]*(?:not found|missing|do(?:es)? not exist)/i,
  },
  {
    class: 'missing-executable',
    pattern:
      /executable file not found in \$PATH|command not found|exec format error|error while loading shared libraries|cannot open shared object file|Error relocating|GLIBC_[\d.]+'? not found|version `GLIBC|exec: "[^"]+": (?:stat|executable)|no such file or directory: unknown|not found: exec|^\/bin\/(?:ba|da)?sh: (?:\d+: )?[\w.-]+: not found|exec \/[^\s]+: no such file|OCI runtime (?:create|exec) failed|unable to start container process|starting container process caused|\bStartError\b|env: '?[\w.-]+'?: No such file or directory|Unable to access jarfile|no such file or directory: exec|cannot execute binary file|loading shared librar(?:y|ies)|Library not loaded|: (?:exec: )?[\w./-]+: (?:command )?not found\s*$/i,
  },
  {
    class: 'missing-module',
    pattern:
      /ModuleNotFoundError|ImportError|No module named|Cannot find module|ERR_MODULE_NOT_FOUND|ClassNotFoundException|NoClassDefFoundError|Could not find or load main class|cannot find package|undefined symbol/i,
  },
  {
    class: 'missing-file',
    pattern:
      /No such file or directory|ENOENT|FileNotFoundError|FileNotFoundException|NoSuchFileException|file not found|does not exist: \//i,
  },
  {
    class: 'missing-config',
    pattern:
      /KeyError: '[A-Za-z_][A-Za-z0-9_]*'|environment variable[^\n]*(?:not set|missing|required|empty|undefined)|(?:env|config|configuration|setting|variable)s? [^\n]{0,40}(?:is )?(?:missing|required|not set|not defined|undefined)|Missing required|missing (?:required )?(?:config|configuration|setting|env|environment|key|value)|must be set|is not set|not set in (?:the )?environment|Field required|field required|couldn't find key [^\n]* in (?:ConfigMap|Secret)|(?:configmap|secret)s? "[^"]+" not found|config(?:uration)? file[^\n]*not found|No config file|config missing|Could not resolve placeholder/i,
  },
  {
    class: 'invalid-config',
    pattern:
      /Invalid configuration|invalid config|failed to (?:parse|load|read) config|configuration error|config error|yaml: (?:line \d+|unmarshal)|cannot unmarshal|JSONDecodeError|Unexpected token [^\n]* in JSON|invalid value|unknown (?:directive|flag|field|option)|nginx: \[emerg\]|\[emerg\]|TOML parse error|could not parse|invalid (?:argument|option|port|URL|url|DSN|dsn)|ValueError: invalid literal|ValidationError|IllegalArgumentException|unrecognized arguments|flag provided but not defined/i,
  },
  { class: 'cors', pattern: /\bCORS\b|Access-Control-Allow-Origin|Cross-Origin Request Blocked/i },
  {
    class: 'dependency-not-ready',
    pattern:
      /waiting for [^\n]*(?:to (?:be|become) (?:ready|available|up|healthy)|to (?:start|accept|come up|respond|listen)|ready)|not ready yet|is not ready|isn't ready|LOADING Redis is loading|is loading the dataset|BusyLoadingError|(?:coordinator|leader|broker|service|server) (?:is )?not available|NotAvailableException|\bnot ready\b|the database system is (?:starting up|shutting down|in recovery mode)|MASTERDOWN|CLUSTERDOWN|etcdserver: (?:leader changed|no leader|request timed out|not capable)|no leader|NOT_LEADER|LEADER_NOT_AVAILABLE|Coordinator not available|503 Service Unavailable|Service Unavailable|ServiceUnavailable|server is not ready|not healthy|unhealthy|dependency[^\n]* (?:down|unavailable|not ready)|depends on[^\n]*unavailable|retrying in \d+|^waiting for (?:the )?[\w.:/-]+(?: to [\w ]+)?(?:\.{2,}|\u2026)|\S+:\d+ - (?:no response|rejecting connections)|still waiting for|Waiting for [\w.:/-]+ (?:to come up|to be up|on port)/i,
  },
  {
    class: 'startup-failed',
    pattern:
      /Application startup failed|startup failed|failed to start|Failed to start|could not start|Could not start|Server failed|failed to initiali[sz]e|initiali[sz]ation failed|Exiting|exiting|Shutting down|shutting down|exited with|exit status \d+|Worker failed to boot|APPLICATION FAILED TO START/,
  },
  {
    class: 'crash',
    pattern:
      /\bpanic:|panicked at|Segmentation fault|Fatal Python error|terminate called after throwing|SIGSEGV|SIGABRT|SIGBUS|segmentation (?:fault|violation)|core dumped|fatal error:|Traceback \(most recent call last\)|Unhandled ?(?:Promise)?Rejection|unhandled exception|uncaught exception|Uncaught \w*Error|Exception in thread "[^"]+"|\bAborted\b|assertion [^\n]*failed|Assertion failed|nil pointer dereference|NullPointerException|TypeError:|AttributeError:|RuntimeError:|ValueError:|IndexError:|ZeroDivisionError|\bFATAL\b|\bfatal\b|stack overflow|StackOverflowError|double free|illegal instruction|\bException\b|\bError:|[Uu]nhandled [Ee]xception|[Uu]ncaught ?[Ee]xception|\b[A-Z]\w*Exception\b/,
  },
];

const TECHNOLOGY_PATTERNS: Array<[Technology, RegExp]> = [
  ['cuda', /\bcuda|\bgpu\b|nvidia|torch|vllm|kv cache|cache blocks|gpu_memory|device type/i],
  // etcd and MinIO before Milvus: `milvus-etcd:2379` is about etcd, a Milvus bucket about MinIO.
  ['etcd', /etcd|:2379\b|\b2379\b|^wal: /i],
  [
    'minio',
    /minio|XMinio|\bbucket\b|\bs3\b|InvalidAccessKeyId|SignatureDoesNotMatch|request signature we calculated|\bSlowDown\b|^mc: /i,
  ],
  // Milvus components name themselves in their log lines (`[rootcoord/root_coord.go:160]`).
  [
    'milvus',
    /milvus|:19530\b|\b19530\b|rootcoord|querynode|datacoord|datanode|indexnode|querycoord|segcore/i,
  ],
  [
    'mysql',
    /mysql|mariadb|:3306\b|\b3306\b|\bER_[A-Z_]+|ERROR \d{4} \([0-9A-Z]{5}\)|The table [^\n]* is full|InnoDB|\[MY-\d+\]/i,
  ],
  [
    'postgres',
    /postgres|psycopg|pg_hba|asyncpg|PSQLException|\bpq: |:5432\b|\b5432\b|\bpgx?\b|\b(?:FATAL|PANIC|ERROR): {2}|pg_wal|the database system is|too many clients already|connection slots are reserved|invalid page in block/i,
  ],
  [
    'redis',
    /redis|valkey|aikv|:6379\b|\b6379\b|NOAUTH|WRONGPASS|MISCONF|MASTERDOWN|CLUSTERDOWN|maxmemory|max number of clients|loading DB|append only file|\bAOF\b|\bRDB\b/i,
  ],
  ['kafka', /kafka|:9092\b|\b9092\b|NoBrokersAvailable|\bbroker\b/i],
  [
    'http',
    /\bhttps?:\/\/|HTTPConnectionPool|HTTPSConnectionPool|\bHTTP\/1\.[01]\b|\bopenai\b|Error code: \d{3}/i,
  ],
];

/** Default ports: a bare `host:port` names its technology by the port. */
const PORT_TECHNOLOGY: Record<number, Technology> = {
  3306: 'mysql',
  5432: 'postgres',
  6379: 'redis',
  19530: 'milvus',
  2379: 'etcd',
  9092: 'kafka',
};

const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const HOSTNAME = `${LABEL}(?:\\.${LABEL})*`;

/** Host references by wording, most specific first. */
const HOST_PATTERNS: Array<{ pattern: RegExp; host: number; port?: number }> = [
  // scheme://[user[:pass]@]host[:port]
  {
    pattern: new RegExp(
      `\\b[a-z][a-z0-9+.-]*://(?:[^\\s:@/]+(?::[^\\s@/]*)?@)?(${HOSTNAME})(?::(\\d{1,5}))?`,
      'gid',
    ),
    host: 1,
    port: 2,
  },
  // urllib3: HTTPConnectionPool(host='minio', port=9000)
  { pattern: new RegExp(`host='(${HOSTNAME})', port=(\\d{1,5})`, 'gid'), host: 1, port: 2 },
  // PostgreSQL: connection to server at "db" (10.0.0.5), port 5432 failed
  { pattern: new RegExp(`server at "(${HOSTNAME})" \\([^)]*\\), port (\\d{1,5})`, 'gid'), host: 1, port: 2 },
  { pattern: new RegExp(`(?:translate host name|on host) "(${HOSTNAME})"`, 'gid'), host: 1 },
  // MySQL: Can't connect to MySQL server on 'mysql.ns' (111); Unknown MySQL server host 'mysql'
  { pattern: new RegExp(`server (?:on|host) '(${HOSTNAME})'(?::(\\d{1,5}))?`, 'gid'), host: 1, port: 2 },
  // Node: getaddrinfo ENOTFOUND redis; Go: lookup redis on 10.100.0.10:53: no such host
  { pattern: new RegExp(`(?:ENOTFOUND|EAI_AGAIN) (${HOSTNAME})`, 'gid'), host: 1 },
  { pattern: new RegExp(`lookup (${HOSTNAME})(?: on [\\d.:\\[\\]a-f]+)?: `, 'gid'), host: 1 },
  { pattern: new RegExp(`UnknownHostException: (${HOSTNAME})`, 'gid'), host: 1 },
  {
    pattern: new RegExp(`host not found in upstream "(${HOSTNAME})(?::(\\d{1,5}))?"`, 'gid'),
    host: 1,
    port: 2,
  },
  // curl: Could not resolve host: X; busybox: can't resolve 'X', bad address 'X'; DNS resolution failed for X
  {
    pattern: new RegExp(
      `(?:resolve host:?|can't resolve|resolution failed for|bad address) '?(${HOSTNAME})'?`,
      'gid',
    ),
    host: 1,
  },
  // Java's InetSocketAddress: `Connection refused: /10.100.41.7:6379`, `redis/10.100.41.7:6379`.
  { pattern: /(?<=[\s:(]|^)[\w.-]*\/(\d{1,3}(?:\.\d{1,3}){3}):(\d{2,5})\b/dgi, host: 1, port: 2 },
  // host:port anywhere (redis:6379, 10.100.23.7:4317, milvus-proxy.one-data-infra:19530), except the
  // local end of a connection (`10.0.2.7:51234->`) and the DNS server a lookup asked (`on 10.100.0.10:53`).
  {
    pattern: new RegExp(`(?<![\\w.:/-])(?<!lookup \\S+ on )(${HOSTNAME}):(\\d{2,5})\\b(?!->)`, 'gid'),
    host: 1,
    port: 2,
  },
];

/** Words that look like hosts in `word:digits` but are not (timestamps, code locations). */
const NOT_HOSTS =
  /^(?:line|port|errno|code|pid|tid|at|py|go|rs|js|ts|java|c|cc|h|exit|status|http|https|tcp|udp|unix)$|\.(?:py|go|rs|js|ts|java|c|cc|h|cpp)$/i;

function isHostLike(host: string): boolean {
  if (NOT_HOSTS.test(host)) return false;
  // Timestamps (`2026-01-01T02:13`) and pointers (`0xc000`) look like names.
  if (/^\d{4}-\d{2}-\d{2}/.test(host) || /^0x[0-9a-f]+$/.test(host)) return false;
  // A bare number ("12:30") is a time, not a host; an IPv4 address is a host.
  if (/^\d+$/.test(host)) return false;
  if (/^\d+(?:\.\d+){1,2}$/.test(host)) return false;
  return /[a-z]/i.test(host) || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
}

interface HostMatch extends HostReference {
  /** Where the host (and its port) stand in the line. */
  start: number;
  end: number;
}

function hostMatches(line: string): HostMatch[] {
  const found: HostMatch[] = [];
  for (const { pattern, host, port } of HOST_PATTERNS) {
    for (const m of line.matchAll(pattern)) {
      const name = m[host].toLowerCase().replace(/\.$/, '');
      if (!isHostLike(name)) continue;
      const p = port !== undefined && m[port] ? Number(m[port]) : undefined;
      // The whole reference (`redis://user@redis.ns:6379`, `server on 'mysql'`) is address, not wording.
      const [start, end] = m.indices![0];
      const existing = found.find((f) => f.host === name);
      if (existing) {
        if (existing.port === undefined && p !== undefined) existing.port = p;
        continue;
      }
      found.push({ host: name, ...(p !== undefined && p > 0 && p < 65536 ? { port: p } : {}), start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The hosts a line names, each once, in the order they appear. */
export function hostsIn(line: string): HostReference[] {
  return hostMatches(line).map(({ host, port }) => ({ host, ...(port ? { port } : {}) }));
}

/** The line with the hosts and ports it names blanked out: what is left is its wording. */
function wordingOf(line: string): string {
  let out = line;
  for (const h of hostMatches(line).sort((a, b) => b.start - a.start))
    out = `${out.slice(0, h.start)} ${out.slice(h.end)}`;
  return out;
}

/**
 * What a line is about, and how it says so: its wording first (the client library, an error
 * code, the server's own name), else the name or default port of a host it names. A host named
 * `aikv` or a port 6379 only suggests Redis; `redis.exceptions.ConnectionError` says it.
 */
export function technologyIn(
  line: string,
): { technology: Technology; from: 'wording' | 'address' } | undefined {
  const wording = wordingOf(line);
  const hosts = hostsIn(line);
  for (const [technology, pattern] of TECHNOLOGY_PATTERNS) {
    if (!pattern.test(wording)) continue;
    // HTTP is only the transport: a server the address names (`HTTPConnectionPool(host='milvus',
    // port=19530)`) says more.
    if (technology === 'http') {
      const server = addressTechnology(hosts);
      if (server && server !== 'http') return { technology: server, from: 'address' };
    }
    return { technology, from: 'wording' };
  }
  const address = addressTechnology(hosts);
  if (address) return { technology: address, from: 'address' };
  if (/\bhttps?:\/\//i.test(line)) return { technology: 'http', from: 'address' };
  return undefined;
}

/** The technology the names or default ports of hosts suggest. */
function addressTechnology(hosts: HostReference[]): Technology | undefined {
  const names = hosts.map((h) => h.host).join(' ');
  for (const [technology, pattern] of TECHNOLOGY_PATTERNS)
    if (names && technology !== 'http' && pattern.test(names)) return technology;
  for (const h of hosts) if (h.port !== undefined && PORT_TECHNOLOGY[h.port]) return PORT_TECHNOLOGY[h.port];
  return undefined;
}

/** What a line is about (technologyIn without how it says so). */
export function technologyOf(line: string): Technology | undefined {
  return technologyIn(line)?.technology;
}

/** Names a Service, its workload or its image carries when it runs the technology itself. */
const TECHNOLOGY_NAMES: Record<Technology, RegExp> = {
  mysql: /mysql|mariadb|percona/i,
  postgres: /postgres|\bpg\b|pgbouncer|timescale/i,
  redis: /redis/i,
  milvus: /milvus/i,
  minio: /minio/i,
  etcd: /etcd/i,
  kafka: /kafka|redpanda/i,
  cuda: /cuda|nvidia|gpu/i,
  http: /./,
};

/**
 * Whether a name found in the cluster (a Service, its workload) confirms a technology that only
 * an address suggested: `redis-master` confirms Redis, `aikv` (a Redis-compatible store) does not.
 */
export function namesTechnology(technology: Technology, ...names: Array<string | undefined>): boolean {
  return names.some((n) => !!n && TECHNOLOGY_NAMES[technology].test(n));
}

/** The failure class of one log line, or undefined for a line that reports no failure. */
export function classifyLine(line: string): Classification | undefined {
  const text = line.trim();
  if (!text || text.length > 4000) return undefined;
  // Healthy chatter that mentions failure words ("0 errors", "retry succeeded") is not a failure.
  if (
    /\b(?:level|lvl)"?[=:]"?(?:info|debug|trace)\b/i.test(text) &&
    !/\b(?:error|fail|refused|denied|panic)/i.test(text)
  )
    return undefined;
  for (const { class: cls, pattern } of PATTERNS) {
    if (!pattern.test(text)) continue;
    const hosts = hostsIn(text);
    const technology = technologyIn(text);
    return {
      class: cls,
      rank: classRank(cls),
      ...(technology ? { technology: technology.technology, technologyFrom: technology.from } : {}),
      hosts,
    };
  }
  return undefined;
}

/** A classified line of a log, with its position (0 = first line). */
export interface ClassifiedLine extends Classification {
  line: string;
  index: number;
}

/** Every classified line of a log, oldest first. */
export function classifyLog(text: string): ClassifiedLine[] {
  const out: ClassifiedLine[] = [];
  text.split('\n').forEach((line, index) => {
    const c = classifyLine(line);
    if (!c) return;
    // An indented line right under a line of the same class continues its message (libpq's
    // "\tIs the server running on that host..."): the line above, which names the host, stands.
    const above = out[out.length - 1];
    if (/^\s/.test(line) && above?.index === index - 1 && above.class === c.class) return;
    out.push({ ...c, line: line.trim(), index });
  });
  return out;
}

/** Each log's classification, kept as long as the log object is (see classifiedLines). */
const CLASSIFIED = new WeakMap<object, { text: string; lines: ClassifiedLine[] }>();

/**
 * classifyLog of a log's text, computed once per log object: a diagnosis reads every log's
 * classified lines three times (the hosts the logs name, the technologies they name, the rules),
 * and classifying 1,000 lines against every pattern took about 40 ms of a cold diagnosis, each time.
 * The lines are shared between those readers: read them, do not change them.
 */
export function classifiedLines(log: { readonly text: string }): ClassifiedLine[] {
  const known = CLASSIFIED.get(log);
  if (known?.text === log.text) return known.lines;
  const lines = classifyLog(log.text);
  CLASSIFIED.set(log, { text: log.text, lines });
  return lines;
}

/**
 * The line that explains why the process stopped: the last line of the highest rank. A root
 * cause outranks the crash or "startup failed" it led to, and of two root causes the one
 * closer to the exit wins (what came before was survived or retried).
 */
export function decisiveLine(lines: ClassifiedLine[]): ClassifiedLine | undefined {
  let best: ClassifiedLine | undefined;
  for (const l of lines) if (!best || l.rank >= best.rank) best = l;
  return best;
}

/** Classes whose lines are about a dependency: the host they name, or imply, is worth resolving. */
export const DEPENDENCY_CLASSES: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'connection-refused',
  'network-unreachable',
  'dns-resolution',
  'timeout',
  'connection-reset',
  'dependency-not-ready',
  'auth-failure',
  'tls-error',
  'connection-limit',
]);

/** How far back a failing line may take the host it is about. */
const IMPLIED_REACH = 15;
const LOCAL_HOST = /^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1?)$/;
const IP = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The hosts a failing line is about without naming them itself, and how sure that is. */
export interface ImpliedHosts {
  hosts: HostReference[];
  /**
   * `block`: a failure line just above names it (one error printed over two lines), or a line
   * above names the same port as the bare IP the failing line has; `context`: the application
   * said earlier what it connects to (`connecting to redis://redis.ns:6379`).
   */
  how: 'block' | 'context';
}

/**
 * `httpx.ConnectError: [Errno 111] Connection refused` names no host, and `dial tcp
 * 172.20.88.14:6379: i/o timeout` only an address: the host such a line is about is the one the
 * log named shortly before (the failure line above it, or the application's own "connecting to
 * ..." line), preferring one on the same port. Listen addresses (0.0.0.0, localhost) are the
 * process's own, never a dependency.
 */
export function impliedHosts(
  lines: readonly string[],
  index: number,
  own: HostReference[],
): ImpliedHosts | undefined {
  if (own.some((h) => !IP.test(h.host) && !LOCAL_HOST.test(h.host))) return undefined;
  const ports = new Set(own.flatMap((h) => (h.port ? [h.port] : [])));
  for (let j = index - 1; j >= 0 && index - j <= IMPLIED_REACH; j--) {
    const named = hostsIn(lines[j]).filter((h) => !LOCAL_HOST.test(h.host) && !IP.test(h.host));
    if (named.length === 0) continue;
    if (ports.size) {
      // A bare IP with a port: only a name on that port is the same dependency.
      const same = named.filter((h) => h.port !== undefined && ports.has(h.port));
      if (same.length) return { hosts: same, how: 'block' };
      continue;
    }
    const above = classifyLine(lines[j]);
    const block = index - j <= 2 && !!above && DEPENDENCY_CLASSES.has(above.class);
    return { hosts: named, how: block ? 'block' : 'context' };
  }
  return undefined;
}
