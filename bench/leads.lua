-- wrk script: realistic urlencoded lead posts, each with a unique email.
-- WEB_KEY comes from the environment.
local key = os.getenv("WEB_KEY")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
request = function()
  n = n + 1
  local body = "web_key=" .. key ..
    "&firstName=Ann&lastName=Lee&phone=8015551234" ..
    "&email=lead" .. tid .. "-" .. n .. "-" .. math.random(1, 1000000000) .. "%40example.com" ..
    "&address=12+Main+St&city=Provo&state=UT&zip=84601&tag=web,roof" ..
    "&notes=Roof+leaks+over+the+garage&Favorite+Chocolate=Dark"
  return wrk.format("POST", "/v1/external-api/external-form-lead",
    { ["Content-Type"] = "application/x-www-form-urlencoded" }, body)
end
