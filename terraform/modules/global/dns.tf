# Shoppers resolve domain_name to the edges of the region nearest to them (Route 53 latency
# routing), among the regions whose health check passes: an HTTPS GET of /readyz through the
# region's edge load balancer, which an edge answers from a core (its own region's, or a
# failover region's). A region whose edges cannot serve drops out of the answers within about
# a minute and a half (three failed checks 30 s apart), and its shoppers go to the next-nearest.

resource "aws_route53_health_check" "edge" {
  for_each = local.regions

  type              = "HTTPS"
  fqdn              = "${each.key}.${var.domain_name}"
  port              = 443
  resource_path     = "/readyz"
  enable_sni        = true
  request_interval  = 30
  failure_threshold = 3
  measure_latency   = true

  tags = merge(local.tags, { Name = "${var.name_prefix}-${each.key}-edge", PlatformRegion = each.key })
}

# <region>.<domain>: the region's own edges (what its health check probes; for operators too).
resource "aws_route53_record" "region" {
  for_each = local.regions

  zone_id = var.zone_id
  name    = "${each.key}.${var.domain_name}"
  type    = "A"

  alias {
    name                   = var.regions[index(var.regions[*].name, each.key)].edge_lb_dns_name
    zone_id                = var.regions[index(var.regions[*].name, each.key)].edge_lb_zone_id
    evaluate_target_health = true
  }
}

# <domain>: one latency record per region, answered only while its health check passes.
resource "aws_route53_record" "shoppers" {
  for_each = local.regions

  zone_id         = var.zone_id
  name            = var.domain_name
  type            = "A"
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.edge[each.key].id

  latency_routing_policy {
    region = each.value.aws_region
  }

  alias {
    name                   = var.regions[index(var.regions[*].name, each.key)].edge_lb_dns_name
    zone_id                = var.regions[index(var.regions[*].name, each.key)].edge_lb_zone_id
    evaluate_target_health = true
  }
}
