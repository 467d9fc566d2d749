class ReportsController < ApplicationController
  def export
    system("zip", "-r", "/tmp/out.zip", params[:dir])
  end
end
