-- Argo CD health of an InferenceModelRewrite routed by modelroute (the
-- rules of an InferenceModel's).
-- Degraded: modelroute's Stalled condition (a ResolvedRefs, Accepted or
-- Programmed condition is False for a reason a person must fix).
-- Healthy: ResolvedRefs, Accepted and Programmed all True.
-- Progressing: anything else, such as a rewrite modelroute has yet to
-- reconcile at its current generation, a route its Gateway has yet to
-- accept, or a pool or Gateway not created yet (modelroute's Reconciling).
-- Uses only Lua's base library: Argo CD opens no string library.
local hs = {}
local generation = obj.metadata.generation or 0
local conditions = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    conditions[c.type] = c
  end
end

local function current(c)
  return c ~= nil and c.observedGeneration == generation
end

local accepted = conditions["Accepted"]
if not current(accepted) then
  hs.status = "Progressing"
  hs.message = "Waiting for modelroute to reconcile generation " .. generation
  return hs
end
local stalled = conditions["Stalled"]
if current(stalled) and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.reason .. ": " .. stalled.message
  return hs
end
local reconciling = conditions["Reconciling"]
if current(reconciling) and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = reconciling.reason .. ": " .. reconciling.message
  return hs
end
local programmed = conditions["Programmed"]
local resolved = conditions["ResolvedRefs"]
if current(resolved) and resolved.status == "True" and accepted.status == "True"
    and current(programmed) and programmed.status == "True" then
  hs.status = "Healthy"
  hs.message = programmed.message
  return hs
end
hs.status = "Progressing"
hs.message = "Waiting for modelroute to report ResolvedRefs, Accepted and Programmed"
return hs
