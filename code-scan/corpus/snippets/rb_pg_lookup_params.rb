require "pg"

class AccountsController < ApplicationController
  def lookup
    db = PG.connect(dbname: "accounts")
    rows = db.exec_params("SELECT id, email FROM accounts WHERE email = $1", [params[:email]])
    render json: rows.to_a
  end
end
