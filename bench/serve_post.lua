-- serve_post.lua — wrk's POST bodies for bench/serve.sh: one JSON request
-- per line of the file named by the BODIES environment variable, sent in
-- turn (each wrk thread starts at its own line).
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local i = 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("start", counter * 97)
end
function init(args)
  i = start or 0
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[i])
end
