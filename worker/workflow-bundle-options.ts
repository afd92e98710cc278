/**
 * What every workflow bundle is built from: the workflows and the interceptor module that carries
 * request ids. Tests, the soak and the cluster prebuild with these; the worker bundles with them
 * when it is given no bundle.
 */
export const workflowBundleOptions = {
  workflowsPath: require.resolve('../workflows'),
  workflowInterceptorModules: [require.resolve('../workflows/request-id-interceptor')],
};
