/**
 * Environment names a scenario may not take over. An edge's `env` is set to the proxy's URL in
 * the caller's environment, after everything else, so `env: PATH` would replace the agent's
 * PATH (`spawn node ENOENT`, cause not named) and `env: PORT` the port it must listen on. The
 * runtimes (src/scenario/runtimes) set HOST and PORT for every agent; an agent's own `env` may
 * not set those either, as readiness probes and proxies connect to the address the runtime chose.
 */

/** Why each name cannot be an edge's URL variable. */
export const RESERVED_EDGE_ENV: Readonly<Record<string, string>> = {
  PATH: "the caller's command and every program it starts are found through it",
  PORT: 'the runtime tells the agent the port to listen on in it',
  HOST: 'the runtime tells the agent the address to listen on in it',
  HOME: 'programs read their configuration from it',
  PWD: "it is the caller's working directory",
  SHELL: 'programs start their shell from it',
  USER: 'it names the user the agent runs as',
  TMPDIR: 'programs write temporary files there',
  LANG: 'it sets the locale of the agent',
  NODE_OPTIONS: 'Node reads its command-line options from it and would refuse a URL',
  NODE_PATH: 'Node resolves modules through it',
  LD_PRELOAD: 'the dynamic loader reads it before the program starts',
  LD_LIBRARY_PATH: 'the dynamic loader finds libraries through it',
  PYTHONPATH: 'Python resolves modules through it',
  PYTHONHOME: 'Python finds its standard library through it',
};

/** Names the runtimes set for every agent; an agent's `env` may not set them. */
export const RUNTIME_ENV: Readonly<Record<string, string>> = {
  PORT: 'the runtime sets it to the agent\'s port (use the agent\'s `port` field to choose one)',
  HOST: 'the runtime sets it to the address readiness probes and proxies connect to',
};
