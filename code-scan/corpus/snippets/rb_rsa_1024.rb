require "openssl"

module Signing
  def self.fresh_key
    OpenSSL::PKey::RSA.new(1024)
  end
end
