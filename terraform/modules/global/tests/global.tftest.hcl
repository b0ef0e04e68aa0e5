# The global module, planned and applied against a mock AWS provider. Inputs: terraform.tfvars
# beside this file.
#
#   terraform init -backend=false && terraform test     (TF_CLI_CONFIG_FILE names the provider mirror)

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "shoppers_reach_the_nearest_healthy_edge" {
  command = apply

  assert {
    condition     = length(aws_route53_record.shoppers) == 3 && alltrue([for name, r in aws_route53_record.shoppers : r.name == "shop.example.com" && r.set_identifier == name])
    error_message = "One latency record per region, all under the shoppers' name."
  }

  assert {
    condition     = { for name, r in aws_route53_record.shoppers : name => r.latency_routing_policy[0].region } == { "eu-west" = "eu-west-1", "us-east" = "us-east-1", "ap-southeast" = "ap-southeast-1" }
    error_message = "Each region's record must be routed by latency to its own AWS region."
  }

  assert {
    condition     = alltrue([for name, r in aws_route53_record.shoppers : r.health_check_id == aws_route53_health_check.edge[name].id && r.alias[0].evaluate_target_health])
    error_message = "A region must drop out of the answers when its edges fail their health check."
  }

  assert {
    condition     = alltrue([for name, h in aws_route53_health_check.edge : h.type == "HTTPS" && h.port == 443 && h.resource_path == "/readyz" && h.fqdn == "${name}.shop.example.com" && h.enable_sni])
    error_message = "Every region's edges must be checked over HTTPS on /readyz, through their own name."
  }

  assert {
    condition     = aws_route53_record.shoppers["ap-southeast"].alias[0].name == "shop-ap-southeast-edge.elb.ap-southeast-1.amazonaws.com"
    error_message = "Records must point at the region's edge load balancer."
  }
}

run "the_core_network_links_every_region" {
  command = apply

  assert {
    condition     = jsondecode(aws_networkmanager_core_network_policy_attachment.this.policy_document)["core-network-configuration"]["edge-locations"] == [{ location = "eu-west-1" }, { location = "us-east-1" }, { location = "ap-southeast-1" }]
    error_message = "The core network needs an edge in every region's AWS region."
  }

  assert {
    condition     = jsondecode(aws_networkmanager_core_network_policy_attachment.this.policy_document)["attachment-policies"][0]["action"]["segment"] == "platform"
    error_message = "Attachments tagged segment=platform must join the platform segment."
  }

  assert {
    condition     = output.core_network.arn == aws_networkmanager_core_network.this.arn
    error_message = "The core network's ARN is what regions route through."
  }
}

run "the_database_spans_every_region_and_keeps_rows_home" {
  command = plan

  assert {
    condition     = output.database_regions == ["eu-west", "us-east", "ap-southeast"]
    error_message = "Every region is a database region, the first primary."
  }

  assert {
    condition = alltrue([for statement in [
      "ALTER DATABASE shop SET PRIMARY REGION \"eu-west\";",
      "ALTER DATABASE shop ADD REGION IF NOT EXISTS \"us-east\";",
      "ALTER DATABASE shop ADD REGION IF NOT EXISTS \"ap-southeast\";",
      "ALTER DATABASE shop SURVIVE ZONE FAILURE;",
      "ALTER DATABASE shop PLACEMENT RESTRICTED;",
    ] : strcontains(output.cluster_settings_sql, statement)])
    error_message = "The settings must add every region, survive a zone and keep rows in their region: ${output.cluster_settings_sql}"
  }
}

run "the_database_is_backed_up_into_every_region_s_bucket_with_revision_history" {
  command = plan

  assert {
    condition = alltrue([for part in [
      "CREATE SCHEDULE IF NOT EXISTS shop_backups",
      "FOR BACKUP DATABASE shop INTO (",
      "'s3://shop-eu-west-db-backups-123456789012/shop?AUTH=implicit&COCKROACH_LOCALITY=default',",
      "'s3://shop-eu-west-db-backups-123456789012/shop?AUTH=implicit&COCKROACH_LOCALITY=region%3Deu-west',",
      "'s3://shop-us-east-db-backups-123456789012/shop?AUTH=implicit&COCKROACH_LOCALITY=region%3Dus-east',",
      "'s3://shop-ap-southeast-db-backups-123456789012/shop?AUTH=implicit&COCKROACH_LOCALITY=region%3Dap-southeast'\n  )",
      "WITH revision_history, detached",
      "RECURRING '*/15 * * * *'",
      "FULL BACKUP '@daily'",
      "updates_cluster_last_backup_time_metric;",
    ] : strcontains(output.backup_schedule_sql, part)])
    error_message = "Incremental backups every 15 minutes and a full one daily, with revision history, each region's rows into its own bucket: ${output.backup_schedule_sql}"
  }
}

run "the_backup_schedule_follows_the_primary_region_and_its_settings" {
  command = plan

  variables {
    primary_region = "us-east"
    backups        = { incremental = "*/5 * * * *", full = "@weekly" }
  }

  assert {
    condition     = strcontains(output.backup_schedule_sql, "'s3://shop-us-east-db-backups-123456789012/shop?AUTH=implicit&COCKROACH_LOCALITY=default'") && strcontains(output.backup_schedule_sql, "RECURRING '*/5 * * * *'") && strcontains(output.backup_schedule_sql, "FULL BACKUP '@weekly'")
    error_message = "The default locality's bucket is the primary region's, and the schedule is the one asked for: ${output.backup_schedule_sql}"
  }
}

run "region_survival_when_asked" {
  command = plan

  variables {
    survival_goal  = "region"
    placement      = "default"
    primary_region = "us-east"
  }

  assert {
    condition = alltrue([for statement in [
      "SET PRIMARY REGION \"us-east\";",
      "ADD REGION IF NOT EXISTS \"eu-west\";",
      "SURVIVE REGION FAILURE;",
    ] : strcontains(output.cluster_settings_sql, statement)]) && !strcontains(output.cluster_settings_sql, "PLACEMENT RESTRICTED")
    error_message = "Region survival must be set, with default placement: ${output.cluster_settings_sql}"
  }
}

run "every_resource_is_tagged" {
  command = apply

  assert {
    condition = alltrue([
      for t in concat([aws_networkmanager_global_network.this.tags, aws_networkmanager_core_network.this.tags], [for h in aws_route53_health_check.edge : h.tags]) :
      t["Platform"] == "shop" && t["ManagedBy"] == "terraform"
    ])
    error_message = "Every taggable resource must carry the platform's tags."
  }
}
