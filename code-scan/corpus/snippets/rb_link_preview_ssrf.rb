require "net/http"

class PreviewsController < ApplicationController
  def show
    target = URI.parse(params[:link])
    html = Net::HTTP.get(target)
    render json: { title: html[/<title>(.*?)<\/title>/m, 1] }
  end
end
