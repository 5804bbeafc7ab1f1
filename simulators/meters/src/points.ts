import type { World } from './model/world';
import type { ValuePoint } from './model/render';
import { opcuaPoints } from './opcua/nodes';

/** The value points of a meter: its profile's for Modbus meters, the node set's for OPC UA meters. */
export function meterPoints(world: World, meterId: string): readonly ValuePoint[] {
  const mb = world.modbus.get(meterId);
  if (mb) return mb.profile.points;
  const type = world.opcuaTypes.get(meterId);
  return type ? opcuaPoints(type) : [];
}
