const params = new URLSearchParams(location.search);
document.write('<h2>Results for ' + params.get('q') + '</h2>');
