variable "edge_load_balancers" {
  description = "The regions' edge load balancers (DNS name and hosted zone id), by region."
  type = map(object({
    dns_name = string
    zone_id  = string
  }))
  default = {
    eu-west = { dns_name = "shop-eu-west-edge-0123456789abcdef.elb.eu-west-1.amazonaws.com", zone_id = "Z2IFOLAFXWLO4F" }
    us-east = { dns_name = "shop-us-east-edge-0123456789abcdef.elb.us-east-1.amazonaws.com", zone_id = "Z26RNL4JYFTOTI" }
  }
}
