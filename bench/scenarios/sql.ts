/** SQL fragments for the floor's json_agg statements (bench only). */

/** A Relay global id exactly as the API encodes it: base64url("Type:uuid"). */
export const gid = (type: string, column: string) =>
  `rtrim(translate(encode(convert_to('${type}:' || ${column}, 'utf8'), 'base64'), '+/', '-_'), '=')`;

/** `[...]` of `node` objects of a sub-select, in the API's newest-first order. */
export const edges = (node: string, from: string, alias: string) =>
  `coalesce((select json_agg(json_build_object('node', ${node}) order by ${alias}.created_at desc, ${alias}.id desc) from (${from}) ${alias}), '[]')`;
