require "json"

def load_cart(cookie)
  JSON.parse(Base64.decode64(cookie))
end
