# Who may talk to whom. Shoppers reach only the edges' load balancer; it reaches only the edges;
# edges (this region's, and other regions' for failover and home-region writes) reach only the
# cores' load balancer, which reaches only the cores; cores reach the database; database nodes
# reach each other, here and in the other regions. Nothing else is open inbound. Outbound HTTPS
# to anywhere (through the NAT gateways) is for AWS APIs and, from the cores, the partners.

locals {
  security_groups = {
    edge_lb  = "Edges' network load balancer: HTTPS from shoppers"
    edge     = "Edges: TLS from their load balancer only"
    core_lb  = "Cores' internal load balancer: HTTP from edges only"
    core     = "Cores: HTTP from their load balancer only"
    database = "CockroachDB nodes: SQL from cores, and inter-node traffic"
  }

  peer_edge_cidrs     = distinct(flatten([for p in var.peers : p.edge_cidrs]))
  peer_core_cidrs     = distinct(flatten([for p in var.peers : p.core_cidrs]))
  peer_database_cidrs = distinct(flatten([for p in var.peers : p.database_cidrs]))

  # Inbound rules, keyed "<group>-<what>". A rule names a source group or a range, never both.
  ingress_rules = merge(
    {
      edge_lb-https-from-shoppers = { group = "edge_lb", port = local.https_port, cidr = "0.0.0.0/0", description = "Shoppers over HTTPS (TLS passed through to the edges)" }
      edge-tls-from-edge-lb       = { group = "edge", port = local.edge_port, source = "edge_lb", description = "Shopper connections and health checks from the load balancer" }
      core_lb-http-from-edges     = { group = "core_lb", port = local.core_port, source = "edge", description = "This region's edges" }
      core-http-from-core-lb      = { group = "core", port = local.core_port, source = "core_lb", description = "Requests and health checks from the cores' load balancer" }
      database-sql-from-cores     = { group = "database", port = local.database_port, source = "core", description = "SQL from this region's cores" }
      database-nodes-from-nodes   = { group = "database", port = local.database_port, source = "database", description = "CockroachDB nodes of this region" }
    },
    { for c in local.peer_edge_cidrs : "core_lb-http-from-peer-edges-${c}" => { group = "core_lb", port = local.core_port, cidr = c, description = "Another region's edges (failover, home-region writes)" } },
    { for c in local.peer_database_cidrs : "database-nodes-from-peer-${c}" => { group = "database", port = local.database_port, cidr = c, description = "Another region's CockroachDB nodes" } },
  )

  egress_rules = merge(
    {
      edge_lb-tls-to-edges    = { group = "edge_lb", port = local.edge_port, source = "edge", description = "Shopper connections and health checks to the edges" }
      edge-http-to-core-lb    = { group = "edge", port = local.core_port, source = "core_lb", description = "Requests to this region's cores" }
      edge-https-to-aws       = { group = "edge", port = local.https_port, cidr = "0.0.0.0/0", description = "AWS APIs (Secrets Manager, CloudWatch Logs, SSM) through the NAT gateways" }
      core_lb-http-to-cores   = { group = "core_lb", port = local.core_port, source = "core", description = "Requests and health checks to the cores" }
      core-sql-to-database    = { group = "core", port = local.database_port, source = "database", description = "SQL to this region's CockroachDB nodes" }
      core-https-to-partners  = { group = "core", port = local.https_port, cidr = "0.0.0.0/0", description = "Partners (payments, carriers, warehouse systems) and AWS APIs through the NAT gateways" }
      database-nodes-to-nodes = { group = "database", port = local.database_port, source = "database", description = "CockroachDB nodes of this region" }
      database-https-to-aws   = { group = "database", port = local.https_port, cidr = "0.0.0.0/0", description = "Backups to S3, Secrets Manager, SSM" }
    },
    { for c in local.peer_core_cidrs : "edge-http-to-peer-cores-${c}" => { group = "edge", port = local.core_port, cidr = c, description = "Another region's cores (failover, home-region writes)" } },
    { for c in local.peer_database_cidrs : "database-nodes-to-peer-${c}" => { group = "database", port = local.database_port, cidr = c, description = "Another region's CockroachDB nodes" } },
  )
}

resource "aws_security_group" "this" {
  for_each = local.security_groups

  name        = "${local.prefix}-${replace(each.key, "_", "-")}"
  description = each.value
  vpc_id      = aws_vpc.this.id

  tags = merge(local.tags, { Name = "${local.prefix}-${replace(each.key, "_", "-")}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress_rules

  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = lookup(each.value, "cidr", null)
  referenced_security_group_id = try(aws_security_group.this[each.value.source].id, null)

  tags = merge(local.tags, { Name = each.key })
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress_rules

  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = lookup(each.value, "cidr", null)
  referenced_security_group_id = try(aws_security_group.this[each.value.source].id, null)

  tags = merge(local.tags, { Name = each.key })
}
