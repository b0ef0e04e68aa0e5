# What the platform's regions share: how shoppers reach their nearest healthy edge (Route 53
# latency records with health checks), the network that links the regions' VPCs (an AWS Cloud
# WAN core network that every region module attaches itself to), and the CockroachDB settings
# that make the regions' nodes one multi-region database.

locals {
  tags = merge(var.tags, {
    Platform  = var.name_prefix
    ManagedBy = "terraform"
  })

  regions        = { for r in var.regions : r.name => r }
  primary_region = coalesce(var.primary_region, var.regions[0].name)
}

# The link between regions. One core network edge per AWS region; every region's VPC attachment
# tagged segment=platform joins the "platform" segment, which routes all of them to each other
# (database traffic between nodes, and edges reaching other regions' cores). Adding a region
# adds its AWS region to the edges and its attachment joins by its tag.
resource "aws_networkmanager_global_network" "this" {
  description = "${var.name_prefix} platform"

  tags = merge(local.tags, { Name = var.name_prefix })
}

resource "aws_networkmanager_core_network" "this" {
  global_network_id   = aws_networkmanager_global_network.this.id
  description         = "${var.name_prefix} regions"
  create_base_policy  = true
  base_policy_regions = [for r in var.regions : r.aws_region]

  tags = merge(local.tags, { Name = var.name_prefix })
}

locals {
  core_network_policy = {
    version = "2021.12"
    core-network-configuration = {
      vpn-ecmp-support = false
      asn-ranges       = [var.asn_range]
      edge-locations   = [for r in var.regions : { location = r.aws_region }]
    }
    segments = [
      {
        name                          = "platform"
        description                   = "Every region's VPC: database nodes, and edges to other regions' cores"
        require-attachment-acceptance = false
        isolate-attachments           = false
      },
    ]
    attachment-policies = [
      {
        rule-number     = 100
        description     = "VPCs tagged segment=platform join the platform segment"
        condition-logic = "or"
        conditions      = [{ type = "tag-value", operator = "equals", key = "segment", value = "platform" }]
        action          = { association-method = "constant", segment = "platform" }
      },
    ]
  }
}

resource "aws_networkmanager_core_network_policy_attachment" "this" {
  core_network_id = aws_networkmanager_core_network.this.id
  policy_document = jsonencode(local.core_network_policy)
}

# The database settings, as the SQL an operator (or the release pipeline) runs with `cockroach
# sql --file` on any node once the cluster is initialized, and again after a region is added.
# Every statement can run again.
locals {
  cluster_settings_sql = templatefile("${path.module}/templates/cluster-settings.sql.tftpl", {
    database       = var.database_name
    primary_region = local.primary_region
    other_regions  = [for r in var.regions : r.name if r.name != local.primary_region]
    survival_goal  = upper(var.survival_goal)
    placement      = upper(var.placement)
  })

  # The scheduled backup: locality-aware (each region's nodes write its rows to its own
  # bucket, the primary region's bucket holding the rest), with revision history so that a
  # restore can reach any moment the backups cover.
  backup_schedule_sql = templatefile("${path.module}/templates/backup-schedule.sql.tftpl", {
    database    = var.database_name
    incremental = var.backups.incremental
    full        = var.backups.full
    default_uri = "s3://${one([for r in var.regions : r.backups_bucket if r.name == local.primary_region])}/${var.database_name}?AUTH=implicit&COCKROACH_LOCALITY=default"
    region_uris = [for r in var.regions : "s3://${r.backups_bucket}/${var.database_name}?AUTH=implicit&COCKROACH_LOCALITY=region%3D${r.name}"]
  })
}
