require "securerandom"

def new_token
  SecureRandom.hex(32)
end
