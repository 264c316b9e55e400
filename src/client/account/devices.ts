import type { Router } from '@koa/router';
import { badJson, invalidParam } from '../../errors/index.js';
import type { HttpDeps } from '../../http/deps.js';
import { readJsonObject } from '../../http/json-body.js';
import { authenticate, getRequester } from '../requester.js';
import { reauthenticate } from './shared.js';

// Device management (spec: modules/device_management.md, device_management.yaml).

export function registerDeviceRoutes(router: Router, deps: HttpDeps): void {
  // Services are read when a request arrives, not while routes are defined (shell tests build routers without them).

  router.get('/v3/devices', authenticate(deps), async (ctx) => {
    ctx.body = { devices: await deps.services.users.listDevices(getRequester(ctx).userId) };
  });

  router.get('/v3/devices/:deviceId', authenticate(deps), async (ctx) => {
    ctx.body = await deps.services.users.getDevice(getRequester(ctx).userId, ctx.params.deviceId ?? '');
  });

  router.put('/v3/devices/:deviceId', authenticate(deps), async (ctx) => {
    const body = await readJsonObject(ctx);
    const requester = getRequester(ctx);
    const deviceId = ctx.params.deviceId ?? '';
    const name = body.display_name;
    if (name !== undefined && name !== null && typeof name !== 'string') throw badJson('display_name must be a string');
    // v1.17 (MSC4190): an application service creates its users' devices here instead of logging them in.
    if (requester.appserviceId !== null) {
      if (deviceId === '') throw invalidParam('Missing device id');
      if (await deps.services.users.createDevice(requester.userId, deviceId, name ?? null)) {
        ctx.status = 201;
        ctx.body = {};
        return;
      }
    }
    if (name !== undefined) {
      await deps.services.users.renameDevice(requester.userId, deviceId, name);
    } else {
      await deps.services.users.getDevice(requester.userId, deviceId); // 404 for an unknown device
    }
    ctx.body = {};
  });

  router.delete('/v3/devices/:deviceId', authenticate(deps), async (ctx) => {
    const body = await readJsonObject(ctx, { allowEmpty: true });
    const requester = getRequester(ctx);
    const deviceId = ctx.params.deviceId ?? '';
    // Application services manage their users' devices without user-interactive auth (v1.17, MSC4190).
    if (requester.appserviceId === null) await reauthenticate(deps, requester, `delete_device:${deviceId}`, body);
    // Deleting a device that is already gone succeeds (Synapse): the client's intent is satisfied.
    await deps.services.users.deleteDevices(requester.userId, [deviceId]);
    ctx.body = {};
  });

  router.post('/v3/delete_devices', authenticate(deps), async (ctx) => {
    const body = await readJsonObject(ctx);
    const requester = getRequester(ctx);
    const result = requester.appserviceId === null ? await reauthenticate(deps, requester, 'delete_devices', body) : null;
    const devices = result?.clientParams.devices ?? body.devices;
    if (!Array.isArray(devices)) throw badJson('devices must be a list of device ids');
    if (!devices.every((d): d is string => typeof d === 'string')) throw badJson('devices must be a list of device ids');
    await deps.services.users.deleteDevices(requester.userId, devices);
    ctx.body = {};
  });
}
