class User < ApplicationRecord
  def self.search(term)
    where("name LIKE ?", "%#{sanitize_sql_like(term)}%")
  end
end
