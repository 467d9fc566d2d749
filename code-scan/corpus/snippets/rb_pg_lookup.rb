require "pg"

class AccountsController < ApplicationController
  def lookup
    email = params[:email]
    db = PG.connect(dbname: "accounts")
    sql = "SELECT id, email FROM accounts WHERE email = '#{email}'"
    render json: db.exec(sql).to_a
  end
end
