'use strict';
// Every export is a placeholder: reading names (enums, classes) at module load works, so libraries that
// import the binding still load; calling or constructing anything throws, because there is no native code.
const message =
  '@matrix-org/matrix-sdk-crypto-nodejs is replaced by a local stand-in in this project (see README): ' +
  'native end-to-end encryption is not available to bridges and bots here.';

function placeholder(path) {
  const fn = function () {};
  return new Proxy(fn, {
    get(target, prop) {
      if (prop === 'then') return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => path;
      if (prop === 'toString') return () => path;
      if (typeof prop === 'symbol') return target[prop];
      return placeholder(`${path}.${prop}`);
    },
    apply() {
      throw new Error(`${message} (called ${path})`);
    },
    construct() {
      throw new Error(`${message} (constructed ${path})`);
    },
  });
}

module.exports = new Proxy(
  {},
  {
    get(_target, prop) {
      if (prop === '__esModule') return false;
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      return placeholder(String(prop));
    },
  },
);
