"""The HTTP side: the JSON API, the pages people open, who may do what, and the API's error
shape."""
