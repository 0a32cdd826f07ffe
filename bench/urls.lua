-- wrk script: cycles through the request paths listed in the file named by $URLS, one per line,
-- and sends the Accept-Encoding given in $ACCEPT (if any).
local paths = {}
for line in io.lines(os.getenv("URLS")) do
  paths[#paths + 1] = line
end
local accept = os.getenv("ACCEPT")
local counter = 0

request = function()
  counter = counter % #paths + 1
  local headers = {}
  if accept and accept ~= "" then
    headers["Accept-Encoding"] = accept
  end
  return wrk.format("GET", paths[counter], headers)
end
