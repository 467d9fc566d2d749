def load_cart(cookie)
  Marshal.load(Base64.decode64(cookie))
end
